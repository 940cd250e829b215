/* The viewer's video controls: frame steps and slow speeds. */
"use strict";

(() => {
  const video = document.getElementById("player");
  const controls = document.getElementById("player-controls");
  if (!video || !controls) return;
  const FRAME_S = 1 / 25;
  const rate = document.getElementById("player-rate");
  controls.hidden = false;
  controls.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    if (button.dataset.step) {
      video.pause();
      const t = video.currentTime + Number(button.dataset.step) * FRAME_S;
      video.currentTime = Math.max(0, Math.min(video.duration || t, t));
    } else if (button.dataset.rate) {
      video.playbackRate = Number(button.dataset.rate);
      for (const b of controls.querySelectorAll("button[data-rate]")) {
        b.classList.toggle("primary", b === button);
      }
      rate.textContent = window.zenithText("speed", {rate: button.dataset.rate});
      if (video.paused) video.play().catch(() => {});
    }
  });
})();
