// coursebook preview: reload when the book is rebuilt, keeping the reading place.
(function () {
  "use strict";
  var KEY = "coursebook-preview-place";
  var version = document.querySelector('meta[name="coursebook-preview-version"]').content;

  // The reading place: the last element with an id that starts above the window's top, and
  // how far above. Text added or taken away before it (the problems box, an edited
  // paragraph) doesn't move the reader, as restoring scrollY alone would.
  function place() {
    var found = null;
    var marks = document.querySelectorAll("main [id]");
    for (var i = 0; i < marks.length; i++) {
      var box = marks[i].getBoundingClientRect();
      if (box.top <= 1 && (box.width || box.height)) found = { id: marks[i].id, top: box.top };
    }
    return { y: window.scrollY, id: found && found.id, top: found ? found.top : 0 };
  }

  function restore(saved) {
    var mark = saved.id && document.getElementById(saved.id);
    if (mark) window.scrollBy(0, mark.getBoundingClientRect().top - saved.top);
    else window.scrollTo(0, saved.y);
  }

  // The place saved before the reload that made this page: restored now, and again once the
  // images are in (they can push the text down).
  var saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  sessionStorage.removeItem(KEY);
  if (saved) {
    restore(saved);
    window.addEventListener("load", function () {
      restore(saved);
      history.scrollRestoration = "auto";
    });
  }

  function reload() {
    sessionStorage.setItem(KEY, JSON.stringify(place()));
    history.scrollRestoration = "manual";  // ours, not the browser's nor the #fragment's
    location.reload();
  }

  function connect() {
    var events = new EventSource("/events?version=" + encodeURIComponent(version));
    events.addEventListener("reload", function () {
      events.close();
      reload();
    });
    events.onerror = function () {
      // The browser retries a dropped stream by itself; once it has given up (the server
      // answered with an error), start again after a pause.
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, 2000);
    };
  }
  connect();
})();
