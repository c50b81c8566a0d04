"""The API's lists, a page at a time: django-ninja's cursor pagination.

A list answers `{"results": [...], "next": URL, "previous": URL}`; `next`
is the address of the following page (with its `cursor` token), None on the
last. No page counts the whole list, so every page costs the same however
long the list grows. The OpenAPI document describes the paged answer and the
`cursor` and `page_size` parameters.
"""

from django.core.exceptions import ValidationError
from ninja.pagination import CursorPagination

from secdesk.errors import BadInput

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class Pages(CursorPagination):
    """Cursor pages of a queryset ordered by one unique field (`ordering`),
    the page's items turned into what the API answers by `shown(request,
    items)`, all at once (so that what it looks up is asked once a page)."""

    def __init__(self, *, shown, **kwargs):
        self.shown = shown
        kwargs.setdefault("page_size", PAGE_SIZE)
        kwargs.setdefault("max_page_size", MAX_PAGE_SIZE)
        super().__init__(**kwargs)

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        page[self.items_attribute] = self.shown(request, page[self.items_attribute])
        return page

    def _find_position(self, queryset, cursor):
        # A cursor is a token this list gave out; one made up by hand that
        # names no position of it is refused like any other bad input.
        try:
            return super()._find_position(queryset, cursor)
        except (ValueError, ValidationError):
            raise BadInput("bad input: cursor: not a position in this list") from None
