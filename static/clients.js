// Copy buttons on the activation information, and Claude's callbacks in the "Add MCP Client"
// form. The pages work without it.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});
document.addEventListener("change", (event) => {
  if (event.target.name !== "kind") return;
  const uris = document.querySelector("textarea[name=redirect_uris]");
  if (!uris) return;
  const claude = uris.dataset.claude;
  if (event.target.value === "claude" && uris.value.trim() === "") uris.value = claude;
  if (event.target.value === "generic" && uris.value.trim() === claude.trim()) uris.value = "";
});
