// Package batch rolls portal access out in checked batches: it forms a batch from
// candidate rows (an import session or the cache's contacts), filtered, sorted and cut by
// letter range or selection, with blocking quality findings excluded unless overridden;
// previews the exact e-mail each recipient will receive; sends an optional
// pre-notification; creates each invitation on the server and e-mails it; and follows up
// with reminders and an invitations list.
//
// # Never send twice, never lose a row
//
// Each recipient moves queued → inviting → invited → sending → sent | failed | unknown,
// and every move is committed to the cache before the step it announces and after it.
//
//   - Invitation: the idempotency key is stored durably when the batch is formed; a chunk
//     of recipients is marked inviting with a commit before the server is asked, and the
//     links are recorded with another. These two commits use synchronous=NORMAL, like
//     the per-message ones below (FULL with StrictDurability): a power cut that undoes
//     them only makes the next run ask again under the same keys, and no link is
//     e-mailed before the durable commit that reserves its message, which makes the
//     commit that recorded the link durable too. A crash in between makes
//     the next run ask again with the same key: the server answers with the invitation it
//     already made (but never the link, which it does not keep), so the invitation's ID is
//     recorded and the link replaced with Resend under a key derived from that ID — the
//     old link dies, and no person ever holds two live invitations. With a BulkInviter
//     (ClientInviter is one) a chunk is one bulk request, in which the server treats
//     each row as a command of its own under the row's key: a repeated chunk replays row
//     by row, and it does not matter which endpoint made an invitation first. The invite
//     stage keeps at most two chunks in flight (one at the server while the previous
//     one is recorded and the next one marked); a chunk is never asked for before its
//     marking commit, nor marked again while it is in flight.
//   - E-mail: a window of recipients is claimed with one durable commit before any of them
//     is handed to the mail server. Then, for each message, one commit marks it sending
//     (together with the previous message's outcome) before the handover. These
//     per-message commits use synchronous=NORMAL: in WAL mode they survive the death of the
//     process (the write has reached the operating system) but not a power cut, and the
//     next durable commit makes them, and everything before them, durable too.
//
// After a crash, Recover (run by every Run) decides from what is on disk:
//
//   - sending → unknown. The message may be at the mail server or not: the connection
//     died somewhere between MAIL and the reply to the final dot, and SMTP has no way to
//     ask afterwards. Resending could deliver a second invitation; skipping could leave the
//     person without one. Only evidence can settle it (the server's log, the recipient),
//     so a person decides (Store.Decide): resend — with the same Message-ID, so mail
//     programs show one message — or mark sent. This is the only safe choice.
//   - claimed but not sending: if the machine has not rebooted since the claim (same boot
//     ID), the per-message commits on disk are complete, so a claimed row without its
//     sending mark was never handed over and goes back to the queue. After a reboot they
//     may have been lost with the page cache, so such rows become unknown as well.
//   - inviting: asked again, as above.
//
// So a killed process leaves at most one unknown recipient (the one on the wire), and a
// power cut at most one claim window; nothing is ever resent without a decision.
package batch
