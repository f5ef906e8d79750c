// The error page's "Go back" link: back in the browser's history when there is one (a script
// file rather than a `javascript:` link, which the Content-Security-Policy forbids).
const back = document.querySelector("[data-back]");
if (back && history.length > 1) {
  back.hidden = false;
  back.querySelector("a").addEventListener("click", (event) => {
    event.preventDefault();
    history.back();
  });
}
