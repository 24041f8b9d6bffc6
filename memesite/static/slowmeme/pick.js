// Template picker: narrows the list as you type (the search form still works without JavaScript).
(function () {
  const input = document.getElementById("q");
  const status = document.getElementById("pick-status");
  const items = document.querySelectorAll(".picker li[data-search]");
  if (!input || !items.length) return;
  input.addEventListener("input", () => {
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    items.forEach((item) => {
      item.hidden = !words.every((word) => item.dataset.search.includes(word));
      if (!item.hidden) shown += 1;
    });
    status.textContent = shown === 1 ? "1 template" : shown + " templates";
  });
})();
