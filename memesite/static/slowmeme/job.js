// Watches a job over its websocket and shows its progress, then the meme.
(function () {
  const box = document.getElementById("job");
  if (!box) return;
  const bar = box.querySelector("progress");
  const stage = box.querySelector(".stage");
  const result = document.getElementById("result");

  function show(job) {
    bar.value = job.progress;
    stage.textContent = job.status === "failed" ? "Failed: " + job.error : job.stage;
    if (job.status === "succeeded" && job.meme && !result.querySelector("img")) {
      const link = document.createElement("a");
      link.href = job.meme.url;
      const img = document.createElement("img");
      img.src = job.meme.image;
      img.alt = job.meme.caption;
      link.appendChild(img);
      result.appendChild(link);
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/jobs/" + box.dataset.job + "/");
    socket.onmessage = (event) => show(JSON.parse(event.data));
    socket.onclose = (event) => {
      if (event.code !== 4403 && !result.querySelector("img")) setTimeout(connect, 2000);
    };
  }
  connect();
})();
