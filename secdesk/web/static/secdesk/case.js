// The case page: the CVSS 3.1 calculator shows the vector its selects compose and
// its base score, live. Without JavaScript the server composes the same vector and
// the cvss package scores it when the form is sent.
(function () {
  "use strict";

  var ORDER = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
  var WEIGHTS = {
    AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
    AC: { L: 0.77, H: 0.44 },
    UI: { N: 0.85, R: 0.62 },
    CIA: { H: 0.56, L: 0.22, N: 0 },
  };

  // CVSS 3.1 specification, Appendix A: round up to one decimal, robust to
  // floating point.
  function roundUp(value) {
    var integer = Math.round(value * 100000);
    if (integer % 10000 === 0) return integer / 100000;
    return (Math.floor(integer / 10000) + 1) / 10;
  }

  function baseScore(m) {
    var changed = m.S === "C";
    var privileges = { N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 }[m.PR];
    var iss = 1 - (1 - WEIGHTS.CIA[m.C]) * (1 - WEIGHTS.CIA[m.I]) * (1 - WEIGHTS.CIA[m.A]);
    var impact = changed ? 7.52 * (iss - 0.029) - 3.25 * Math.pow(iss - 0.02, 15) : 6.42 * iss;
    var exploitability = 8.22 * WEIGHTS.AV[m.AV] * WEIGHTS.AC[m.AC] * privileges * WEIGHTS.UI[m.UI];
    if (impact <= 0) return 0;
    return roundUp(Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10));
  }

  function severity(score) {
    if (score === 0) return "none";
    if (score < 4) return "low";
    if (score < 7) return "medium";
    if (score < 9) return "high";
    return "critical";
  }

  function update(calculator) {
    var chosen = {};
    var complete = true;
    var any = false;
    ORDER.forEach(function (metric) {
      var select = calculator.querySelector('select[name="cvss3_' + metric + '"]');
      chosen[metric] = select ? select.value : "";
      if (chosen[metric]) any = true;
      else complete = false;
    });
    var vector = calculator.querySelector("[data-cvss3-vector]");
    var score = calculator.querySelector("[data-cvss3-score]");
    if (!complete) {
      vector.textContent = any ? "choose every base metric" : "no CVSS 3.1 vector";
      score.textContent = "";
      return;
    }
    vector.textContent =
      "CVSS:3.1/" + ORDER.map(function (metric) { return metric + ":" + chosen[metric]; }).join("/");
    var value = baseScore(chosen);
    score.textContent = value.toFixed(1) + " " + severity(value);
  }

  function setUp(root) {
    root.querySelectorAll("[data-cvss3]").forEach(function (calculator) {
      if (calculator.dataset.ready) return;
      calculator.dataset.ready = "yes";
      calculator.addEventListener("change", function () { update(calculator); });
      update(calculator);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.detail.elt); });

  // A refused step answers 400 with the case page and the refusal in the form's
  // panel: swap it in like a success, so the person sees why.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

// The case page folds each panel to a one-line summary (details.fold): on a
// screen wide enough for the panels side by side they open, as they were; a
// panel named in the address (a link to #embargo, the answer to a step) opens
// wherever it is, and so does a panel htmx just swapped in after a step.
(function () {
  "use strict";

  var WIDE = window.matchMedia("(min-width: 40rem)");

  function openFolds(root) {
    root.querySelectorAll("details.fold").forEach(function (fold) { fold.open = true; });
  }

  function openNamed() {
    var id = window.location.hash.slice(1);
    var named = id && document.getElementById(id);
    var fold = named && (named.querySelector("details.fold") || named.closest("details.fold"));
    if (fold) fold.open = true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (WIDE.matches) openFolds(document);
    openNamed();
  });
  window.addEventListener("hashchange", openNamed);
  document.addEventListener("htmx:load", function (event) {
    var elt = event.detail.elt;
    // htmx announces the whole page once at start: that is no swap.
    if (elt === document.body) return;
    if (elt.matches && elt.matches("details.fold")) elt.open = true;
    if (elt.querySelectorAll) openFolds(elt);
  });
})();
