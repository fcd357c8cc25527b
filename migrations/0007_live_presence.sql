-- Identities with a live connection, kept by each identity's Mailbox: a send pushes only to these recipients'
-- Mailboxes, not to every recipient's (issue "cost per delivered message": one Durable Object call fewer per
-- message to a recipient who is not connected). Written per connect and disconnect, never per message.
CREATE TABLE `live_presence` (
	`identity_key` text PRIMARY KEY NOT NULL
);
