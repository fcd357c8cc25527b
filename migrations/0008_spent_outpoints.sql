-- The coins accepted payments spent (issue "payments that cannot be paid twice"): every input of an accepted
-- payment is claimed here in the same batch as its `payments` row, so one coin pays for one send only, also
-- when two sends race. WITHOUT ROWID (added by hand; drizzle-kit cannot say it): the primary key is the table,
-- one b-tree entry written per coin instead of a row plus its key index.
CREATE TABLE `spent_outpoints` (
	`outpoint` text PRIMARY KEY NOT NULL,
	`txid` text NOT NULL
) WITHOUT ROWID;
