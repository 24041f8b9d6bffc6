// Gallery and meme pages: votes without a page load, and live counts, new memes and hidden memes
// over the gallery websocket.
(function () {
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  let socket = null;

  function showTally(tally) {
    document.querySelectorAll('[data-score="' + tally.meme + '"]').forEach((score) => {
      score.textContent = tally.score;
      score.title = tally.ups + " up, " + tally.downs + " down";
    });
    document.querySelectorAll('[data-points="' + tally.meme + '"]').forEach((word) => {
      word.textContent = tally.score === 1 ? "point" : "points";
    });
  }

  function showOwnVote(form, vote) {
    const up = form.querySelector(".up");
    const down = form.querySelector(".down");
    up.classList.toggle("on", vote === 1);
    down.classList.toggle("on", vote === -1);
    up.setAttribute("aria-pressed", vote === 1);
    down.setAttribute("aria-pressed", vote === -1);
    up.value = vote === 1 ? "0" : "1";
    down.value = vote === -1 ? "0" : "-1";
  }

  function wireVotes(form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const value = Number(event.submitter.value);
      const response = await fetch("/api/memes/" + form.dataset.meme + "/vote/", {
        method: value === 0 ? "DELETE" : "PUT",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf.value },
        body: value === 0 ? null : JSON.stringify({ value: value }),
      });
      const answer = await response.json();
      if (!response.ok) {
        alert(answer.detail);
        return;
      }
      showTally(answer);
      showOwnVote(form, answer.vote);
    });
  }

  // The same form as gallery/_votes.html, for a meme that arrived live.
  function voteForm(meme) {
    const form = document.createElement("form");
    form.className = "votes";
    form.method = "post";
    form.action = meme.url + "vote/";
    form.dataset.meme = meme.id;
    function button(kind, value, label, text) {
      const element = document.createElement("button");
      element.className = kind;
      element.name = "value";
      element.value = value;
      element.setAttribute("aria-label", label);
      element.setAttribute("aria-pressed", "false");
      element.textContent = text;
      return element;
    }
    const score = document.createElement("span");
    score.className = "score";
    score.dataset.score = meme.id;
    score.textContent = "0";
    form.append(button("up", "1", "Vote up", "▲"), score, button("down", "-1", "Vote down", "▼"));
    wireVotes(form);
    return form;
  }

  function watch(ids) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ watch: ids }));
  }

  function removeMeme(id) {
    document.querySelectorAll('li[data-meme="' + id + '"]').forEach((item) => item.remove());
  }

  function showPublished(meme) {
    const list = document.querySelector("[data-live-new]");
    const wanted = list && list.dataset.liveNew;
    if (!list || (wanted !== "*" && wanted !== meme.template) || list.querySelector('[data-meme="' + meme.id + '"]')) return;
    const item = document.createElement("li");
    item.dataset.meme = meme.id;
    const link = document.createElement("a");
    link.href = meme.url;
    const image = document.createElement("img");
    image.src = meme.image;
    image.alt = meme.caption;
    link.appendChild(image);
    item.appendChild(link);
    // Logged-in visitors vote on others' memes (the list says who is looking); nobody votes on their own.
    if (list.dataset.voter && csrf && list.dataset.voter !== meme.owner) item.appendChild(voteForm(meme));
    const byline = document.createElement("small");
    byline.textContent = "by " + meme.owner + " · just now";
    item.appendChild(byline);
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
    list.prepend(item);
    watch([meme.id]);
  }

  document.querySelectorAll("form.votes").forEach(wireVotes);

  // The meme page's share link, copied in one click (or selected, where the clipboard is not allowed).
  document.querySelectorAll("[data-copy]").forEach((button) => {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        button.textContent = "Copied";
      } catch (error) {
        button.textContent = "Selected: copy it with Ctrl+C";
      }
    });
  });

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/gallery/");
    // Every (re)connection watches the page's memes; the answer holds their counts now, and the memes hidden
    // meanwhile, so a page whose socket dropped catches up on what it missed.
    socket.onopen = () => {
      const ids = Array.from(document.querySelectorAll("[data-meme]"), (node) => Number(node.dataset.meme));
      watch(Array.from(new Set(ids)));
    };
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "tally") showTally(message);
      else if (message.type === "watching") {
        message.tallies.forEach(showTally);
        message.gone.forEach(removeMeme);
      } else if (message.type === "published") showPublished(message.meme);
      else if (message.type === "hidden") removeMeme(message.meme);
    };
    socket.onclose = () => setTimeout(connect, 2000);
  }
  connect();
})();
