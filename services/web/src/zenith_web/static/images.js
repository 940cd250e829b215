/* Images by day: open a frame large and step frame by frame (arrow keys too). */
"use strict";

(() => {
  const links = Array.from(document.querySelectorAll("a[data-frame]"));
  const box = document.getElementById("lightbox");
  if (!links.length || !box) return;
  const img = document.getElementById("lightbox-image");
  const time = document.getElementById("lightbox-time");
  let index = -1;

  function show(i) {
    index = (i + links.length) % links.length;
    img.src = links[index].href;
    img.alt = window.zenithText("frame_at", {time: links[index].dataset.time});
    time.textContent = `${links[index].dataset.time} · ` +
      window.zenithText("n_of_m", {index: index + 1, total: links.length});
    box.hidden = false;
  }
  links.forEach((link, i) => link.addEventListener("click", (event) => {
    event.preventDefault();
    show(i);
    document.getElementById("lightbox-next").focus();
  }));
  document.getElementById("lightbox-prev").addEventListener("click", () => show(index - 1));
  document.getElementById("lightbox-next").addEventListener("click", () => show(index + 1));
  document.getElementById("lightbox-close").addEventListener("click", () => { box.hidden = true; });
  document.addEventListener("keydown", (event) => {
    if (box.hidden) return;
    if (event.key === "ArrowLeft") show(index - 1);
    else if (event.key === "ArrowRight") show(index + 1);
    else if (event.key === "Escape") box.hidden = true;
  });
})();
