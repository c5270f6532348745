/* Live countdown of the seat hold at checkout. The server renders the time
 * left; this keeps it ticking and says so when the hold runs out. */
(function () {
  "use strict";
  var box = document.querySelector("[data-countdown]");
  if (!box) return;
  var clock = box.querySelector("[data-clock]");
  var live = document.querySelector("[data-countdown-live]");
  var deadline = Date.parse(box.dataset.expires);
  var seconds = parseInt(box.dataset.seconds, 10);
  // Trust the server's "seconds left" over the client's clock, which may be off.
  if (!isNaN(seconds)) deadline = Date.now() + seconds * 1000;
  var warned = false;

  function render() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    clock.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (left <= 60) box.classList.add("countdown--low");
    if (left <= 60 && left > 0 && !warned) {
      warned = true;
      live.textContent = "Less than a minute left to confirm your booking.";
    }
    if (left === 0) {
      window.clearInterval(timer);
      released();
    }
  }

  // At expiry the order area is replaced in place: no stale buttons stay.
  function released() {
    var area = box.closest(".checkout") || box.parentNode;
    var section = document.createElement("section");
    section.className = "card";
    var notice = document.createElement("p");
    notice.className = "notice notice--warning";
    notice.setAttribute("role", "alert");
    var strong = document.createElement("strong");
    strong.textContent = "Your seats were released.";
    notice.appendChild(strong);
    notice.appendChild(document.createTextNode(" The time to check out ran out, so they may go to someone else."));
    var again = document.createElement("p");
    var link = document.createElement("a");
    link.className = "btn btn--primary";
    link.href = box.dataset.pickerUrl || "../";
    link.textContent = "Choose seats for this show again";
    again.appendChild(link);
    section.appendChild(notice);
    section.appendChild(again);
    area.replaceWith(section);
    link.focus();
  }
  var timer = window.setInterval(render, 1000);
  render();
})();
