-- A body goes with the last message that references it, whichever path deletes that message
-- (acknowledge, the expiry purge, a send clearing an expired copy), so no orphan body remains.
-- The lookup is a range of messages_body_id_idx.
-- One physical line: D1's remote /query endpoint (what `migrations apply --remote` posts to) splits
-- statements itself and cuts multi-line trigger bodies ("incomplete input").
CREATE TRIGGER `messages_release_body` AFTER DELETE ON `messages` WHEN NOT EXISTS (SELECT 1 FROM `messages` WHERE `body_id` = OLD.`body_id`) BEGIN DELETE FROM `message_bodies` WHERE `id` = OLD.`body_id`; END;
