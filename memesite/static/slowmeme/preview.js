// A template's page: the meme as you write its lines, drawn by the site from its memegen-style address
// (/t/<slug>/<line>/<line>.jpg), a moment after you stop typing.
(function () {
  const preview = document.getElementById("preview");
  const caption = document.getElementById("preview-caption");
  const form = document.getElementById("by-hand-form");
  if (!preview || !form) return;
  // memegen.link's escapes, as generator/sharing.py reads them.
  const ESCAPES = { _: "__", "-": "--", '"': "''", " ": "_", "?": "~q", "&": "~a", "%": "~p", "#": "~h",
    "/": "~s", "\\": "~b", "<": "~l", ">": "~g", "\n": "~n" };
  const segment = (line) => encodeURIComponent(Array.from(line.trim(), (c) => ESCAPES[c] || c).join("") || "_");
  let timer = null;
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const inputs = Array.from(form.querySelectorAll("input[name^=line_]"));
      const text = inputs.map((input) => input.value.trim()).filter(Boolean).join(" / ");
      preview.src = "/t/" + preview.dataset.slug + "/" + inputs.map((input) => segment(input.value)).join("/") + ".jpg?width=480";
      preview.alt = "Preview: " + (text || "the blank template");
      caption.textContent = "Preview of your meme (not made yet).";
    }, 500);
  });
})();
