// Your own image: show it with its text boxes, drag a box to move it and its corner to resize it. The boxes'
// number inputs stay the truth: dragging writes them, typing in them moves the box, and the form sends them.
(function () {
  const form = document.querySelector("form.own-image");
  if (!form) return;
  const placer = form.querySelector(".placer");
  const picture = placer.querySelector("img");
  const MIN = 0.02;
  const rows = Array.from(form.querySelectorAll("tbody tr"));
  const number = (row, side) => row.querySelector('[data-side="' + side + '"]');
  const value = (row, side) => Number(number(row, side).value) || 0;
  const clamp = (v, low, high) => Math.min(Math.max(v, low), high);

  function write(row, side, v) {
    number(row, side).value = v.toFixed(3);
  }

  rows.forEach((row, index) => {
    const box = document.createElement("div");
    box.className = "placed";
    box.innerHTML = '<span class="label"></span><span class="handle" title="Drag to resize"></span>';
    placer.appendChild(box);
    const show = () => {
      box.style.left = value(row, "x") * 100 + "%";
      box.style.top = value(row, "y") * 100 + "%";
      box.style.width = value(row, "width") * 100 + "%";
      box.style.height = value(row, "height") * 100 + "%";
      const text = row.querySelector("input[type=text]").value.trim();
      box.querySelector(".label").textContent = text || "Box " + (index + 1);
      box.classList.toggle("unused", !text);
    };
    row.addEventListener("input", show);

    box.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      const resizing = event.target.classList.contains("handle");
      const area = placer.getBoundingClientRect();
      const start = { x: event.clientX, y: event.clientY };
      const was = { x: value(row, "x"), y: value(row, "y"), width: value(row, "width"), height: value(row, "height") };
      box.setPointerCapture(event.pointerId);
      const move = (e) => {
        const dx = (e.clientX - start.x) / area.width;
        const dy = (e.clientY - start.y) / area.height;
        if (resizing) {
          write(row, "width", clamp(was.width + dx, MIN, 1 - was.x));
          write(row, "height", clamp(was.height + dy, MIN, 1 - was.y));
        } else {
          write(row, "x", clamp(was.x + dx, 0, 1 - was.width));
          write(row, "y", clamp(was.y + dy, 0, 1 - was.height));
        }
        show();
      };
      const stop = () => {
        box.removeEventListener("pointermove", move);
        box.removeEventListener("pointerup", stop);
      };
      box.addEventListener("pointermove", move);
      box.addEventListener("pointerup", stop);
    });
    show();
  });

  // A picture that is a known template's: offer the template (POST /api/templates/recognise/).
  const offer = form.querySelector(".looks-like");
  async function recognise(file) {
    offer.hidden = true;
    const body = new FormData();
    body.append("image", file);
    const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    try {
      const headers = { "X-CSRFToken": csrf };
      const response = await fetch("/api/templates/recognise/", { method: "POST", body, headers });
      const found = response.ok ? await response.json() : null;
      if (!found || !found.template) return;
      const template = await (await fetch("/api/templates/" + found.template + "/")).json();
      offer.querySelector("strong").textContent = template.name;
      offer.querySelector("a").href = offer.dataset.make + found.template + "/";
      offer.hidden = false;
    } catch (error) {
      // Only an offer: the page works without it.
    }
  }

  form.querySelector("input[type=file]").addEventListener("change", (event) => {
    const file = event.target.files[0];
    if (!file) return;
    picture.src = URL.createObjectURL(file);
    placer.hidden = false;
    recognise(file);
  });
})();
