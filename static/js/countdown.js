/* Live countdown of the seat hold at checkout. The server renders the time
 * left; this keeps it ticking and says so when the hold runs out. */
(function () {
  "use strict";
  var box = document.querySelector("[data-countdown]");
  if (!box) return;
  var clock = box.querySelector("[data-clock]");
  var live = document.querySelector("[data-countdown-live]");
  var confirmBtn = document.querySelector("[data-confirm]");
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
      live.textContent = "Your seat hold has expired.";
      box.insertAdjacentHTML("afterend",
        '<p class="notice notice--warning" role="alert"><strong>Your seat hold has expired.</strong> ' +
        'The seats may have gone to someone else. <a href="../">Pick seats again</a>.</p>');
      if (confirmBtn) { confirmBtn.disabled = true; }
    }
  }
  var timer = window.setInterval(render, 1000);
  render();
})();
