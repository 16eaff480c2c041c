// New-benchmark form: picking files uploads them at once (the form works without this too).
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.autosubmit) return;
  if (!input.files || input.files.length === 0) return;
  const button = document.getElementById(input.dataset.autosubmit);
  if (button) input.form.requestSubmit(button);
});
