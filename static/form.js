// Progressive enhancement only: the form works fully without this file.
// It saves the current page in the background whenever an answer changes, so
// nothing is lost if the phone locks or the tab is closed.
(function () {
  var form = document.querySelector("form.survey");
  if (!form || !window.fetch || !window.URLSearchParams) return;
  var status = document.getElementById("autosave");
  var timer = null;
  function save() {
    var data = new URLSearchParams(new FormData(form));
    data.set("nav", "autosave");
    fetch(window.location.pathname, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: data.toString(),
      credentials: "same-origin"
    }).then(function (r) {
      if (status && r.status === 204) status.textContent = "Đã lưu tự động.";
    }).catch(function () {});
  }
  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(save, 400);
  });
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
