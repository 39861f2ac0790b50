// Case page: open on the newest message with the reply box under it. The conversation box
// itself opens scrolled to its bottom through CSS (column-reverse); on a phone the window
// also scrolls so that box and the reply form are in sight, the summary just above them.
document.addEventListener("DOMContentLoaded", function () {
  if (location.hash) return;  // a link to a place on the page wins
  var reply = document.querySelector(".reply-form");
  var chat = document.querySelector(".chat");
  if (!reply || !chat) return;  // an offer: the summary is what to read first
  if (reply.getBoundingClientRect().bottom > window.innerHeight) {
    reply.scrollIntoView({block: "end"});
  }
});
