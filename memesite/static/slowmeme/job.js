// Watches a job over its websocket: its progress, then the meme.
(function () {
  const box = document.getElementById("job");
  if (!box) return;
  const bar = box.querySelector("progress");
  const stage = box.querySelector(".stage");
  const result = document.getElementById("result");
  const candidates = document.getElementById("candidates");
  const heading = document.getElementById("job-heading");
  const memeLink = document.getElementById("meme-link");

  function showImage(meme) {
    let img = result.querySelector("img");
    if (!img) {
      const link = document.createElement("a");
      link.href = meme.url;
      img = document.createElement("img");
      link.appendChild(img);
      result.appendChild(link);
    }
    if (img.getAttribute("src") !== meme.image) img.src = meme.image;
    img.alt = meme.caption;
    memeLink.querySelector("a").href = meme.url;
    memeLink.hidden = false;
    heading.textContent = "Your meme";
    document.title = document.title.replace("Making your meme", "Your meme");
  }

  function show(message) {
    bar.value = message.progress;
    // A finished meme needs no progress bar; a redraw brings it back.
    box.classList.toggle("done", message.status === "succeeded");
    stage.textContent = message.status === "failed" ? "Failed: " + message.error : message.stage;
    if (message.status === "succeeded" && message.meme) {
      showImage(message.meme);
      // The page lists the candidates with their forms; reload once to show them if they arrived live.
      if (message.candidates && message.candidates.length && candidates.hidden) location.reload();
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/jobs/" + box.dataset.job + "/");
    socket.onmessage = (event) => show(JSON.parse(event.data));
    socket.onclose = (event) => {
      if (event.code !== 4403) setTimeout(connect, 2000);
    };
  }
  connect();
})();
