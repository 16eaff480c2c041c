// New-benchmark form: picking files uploads them at once, showing the upload's progress (the form
// works without this too: the buttons post it).
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.autosubmit) return;
  if (!input.files || input.files.length === 0) return;
  const button = document.getElementById(input.dataset.autosubmit);
  if (button) button.click(); // a click, so that htmx sends it (and reports progress)
});

function uploadProgress(elt) {
  const id = elt instanceof HTMLElement ? elt.dataset.uploadProgress : undefined;
  return id ? document.getElementById(id) : null;
}

document.addEventListener("htmx:beforeRequest", (event) => {
  const bar = uploadProgress(event.target);
  if (!bar) return;
  bar.value = 0;
  bar.closest("[hidden]")?.removeAttribute("hidden");
});

document.addEventListener("htmx:xhr:progress", (event) => {
  const bar = uploadProgress(event.target);
  if (bar && event.detail.lengthComputable) bar.value = Math.round((100 * event.detail.loaded) / event.detail.total);
});

// A refused upload answers 400 with the page and its messages: show it, as a browser would.
// (This event fires on the target, the body: the button that sent the upload is in the request.)
document.addEventListener("htmx:beforeSwap", (event) => {
  if (uploadProgress(event.detail.requestConfig?.elt) && event.detail.xhr.status === 400) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// Any other refusal (an upload over the request limit: 413) answers a one-line message: shown
// where the progress was.
document.addEventListener("htmx:responseError", (event) => {
  const bar = uploadProgress(event.target);
  if (!bar) return;
  const row = bar.parentElement;
  const message = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html").body.textContent;
  row.setAttribute("role", "alert");
  row.textContent = message || `The upload failed (${event.detail.xhr.status}).`;
});
