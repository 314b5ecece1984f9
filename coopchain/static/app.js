// Behaviour every staff page shares, served by the app (the pages' CSP allows no inline
// handlers): a <select data-autosubmit> submits its form when it changes.
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});

// A <form data-confirm="question"> asks before it submits (removing a member, say).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
