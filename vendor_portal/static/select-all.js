// A list's "All" box ticks or unticks every line of its form (the page's policy allows no
// inline handlers). Without scripts every line stays as the server drew it: all ticked.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all || !all.form) return;
  for (const box of all.form.querySelectorAll(`input[name="${all.dataset.selectAll}"]`)) {
    box.checked = all.checked;
  }
});
