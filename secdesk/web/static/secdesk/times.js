// Shows each <time class="moment"> in the viewer's own zone with UTC alongside, and
// keeps embargo countdowns live. Without JavaScript the server's UTC text stays,
// which is correct, only less convenient.
(function () {
  "use strict";

  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var viewerIsOnUtc = zone === "UTC" || zone === "Etc/UTC";
  var local = new Intl.DateTimeFormat(undefined, {
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZoneName: "short",
  });

  function plural(count, unit) {
    return count + " " + unit + (count === 1 ? "" : "s");
  }

  // The same wording as secdesk/web/clock.py: the two largest units.
  function span(milliseconds) {
    var minutes = Math.floor(Math.abs(milliseconds) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    minutes = minutes % 60;
    if (days) return plural(days, "day") + (hours ? " " + plural(hours, "hour") : "");
    if (hours) return plural(hours, "hour") + (minutes ? " " + plural(minutes, "minute") : "");
    if (minutes) return plural(minutes, "minute");
    return "less than a minute";
  }

  function showMoments(root) {
    var moments = Array.from(root.querySelectorAll("time.moment[datetime]"));
    if (root.matches && root.matches("time.moment[datetime]")) moments.push(root);
    moments.forEach(function (element) {
      if (element.dataset.utc || viewerIsOnUtc) return;
      var at = new Date(element.getAttribute("datetime"));
      if (isNaN(at)) return;
      element.dataset.utc = element.textContent;
      element.title = element.textContent;
      element.textContent = local.format(at) + " (" + element.dataset.utc + ")";
    });
  }

  function updateCountdowns() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-until]").forEach(function (element) {
      var until = new Date(element.dataset.until).getTime();
      if (isNaN(until)) return;
      var left = until - now;
      element.textContent = left > 0 ? span(left) + " left" : "ended " + span(left) + " ago";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showMoments(document);
    updateCountdowns();
    setInterval(updateCountdowns, 30000);
  });
  // Content that htmx swaps in gets the same treatment.
  document.addEventListener("htmx:load", function (event) {
    showMoments(event.detail.elt);
  });
})();
