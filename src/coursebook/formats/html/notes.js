// coursebook's web edition: a note opens where it is called, in a dialog over the text, and
// closing it (Escape, its button, a click outside it) returns to the call. Without this
// script the call is a plain link to the note after its lesson, and the note's number links
// back: the page reads the same, a little less conveniently.
(function () {
  "use strict";
  var popup = document.getElementById("note-popup");
  if (!popup || typeof popup.showModal !== "function") {
    return; // a browser without <dialog>: the plain links stay
  }
  var title = popup.querySelector(".note-popup-title");
  var text = popup.querySelector(".note-popup-text");
  var call = null;

  function open(link, note) {
    text.replaceChildren();
    note.childNodes.forEach(function (node) {
      text.appendChild(node.cloneNode(true));
    });
    // The pop-up's title gives the note's number, and closing it is the way back: the link
    // back goes. No id of the page is repeated.
    text.querySelectorAll("a.note-backlink").forEach(function (back) {
      back.remove();
    });
    text.querySelectorAll("[id]").forEach(function (element) {
      element.removeAttribute("id");
    });
    title.textContent = popup.dataset.label + " " + link.textContent.trim();
    call = link;
    popup.showModal();
    text.scrollTop = 0;
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) {
      return; // a new tab or window: the plain link
    }
    var link = event.target.closest && event.target.closest('a[role="doc-noteref"]');
    if (!link || popup.contains(link)) {
      return;
    }
    var note = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!note) {
      return;
    }
    event.preventDefault();
    open(link, note);
  });

  popup.querySelector(".note-popup-close").addEventListener("click", function () {
    popup.close();
  });
  popup.addEventListener("click", function (event) {
    if (event.target !== popup) {
      return;
    }
    var box = popup.getBoundingClientRect(); // a click on the backdrop, outside the box
    if (event.clientX < box.left || event.clientX > box.right ||
        event.clientY < box.top || event.clientY > box.bottom) {
      popup.close();
    }
  });
  text.addEventListener("click", function (event) {
    if (event.target.closest("a[href]")) {
      call = null; // a link in the note is followed: no return to the call
      popup.close();
    }
  });
  popup.addEventListener("close", function () {
    if (call) {
      call.focus();
      call = null;
    }
  });
})();
