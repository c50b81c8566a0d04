"""Where the faults run: the bench's own PostgreSQL cluster, a database built
once through the actions (the team, its API token), and a copy of it for each
fault; or, for a fault of the embedded default, SQLite in a data directory."""

from pathlib import Path

import psycopg

from .desk import Desk
from .postgres import Cluster

TEMPLATE = "bench_template"


class Stage:
    def __init__(self, keep: bool = False):
        self.keep = keep
        self.cluster: Cluster | None = None
        self.built: dict | None = None
        self.copies = 0

    def postgres(self) -> Cluster:
        if self.cluster is None:
            self.cluster = Cluster().create()
            self.cluster.ready()
        return self.cluster

    def desk(self, name: str) -> Desk:
        """A desk on PostgreSQL, a copy of the built database."""
        cluster = self.postgres()
        if self.built is None:
            template = Desk("template", cluster.new_database(TEMPLATE))
            self.built = template.inside("build")
            template.close()
        self.copies += 1
        database = f"bench_{self.copies}_{name.replace('-', '_')}"
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{TEMPLATE}"')
        desk = Desk(name, cluster.url(database), keep=self.keep)
        desk.token = self.built["token"]
        return desk

    def sqlite_desk(self, name: str, root: Path) -> Desk:
        """A desk on SQLite whose data directory is under `root`, built now."""
        desk = Desk(name, None, root=root, keep=self.keep)
        desk.token = desk.inside("build")["token"]
        return desk

    def close(self) -> None:
        if self.cluster is not None and not self.keep:
            self.cluster.destroy()
        elif self.cluster is not None:
            self.cluster.stop("immediate")
            print(f"faults: the cluster is kept in {self.cluster.root}")
