import { defineConfig } from 'drizzle-kit'

/** drizzle-kit reads this with `--config schema/drizzle.config.ts`; paths resolve from the project root. */
export default defineConfig({
  dialect: 'sqlite',
  schema: './schema/index.ts',
  // Shared with wrangler (migrations_dir) and the test pool (readD1Migrations): flat NNNN_name.sql.
  out: './migrations',
  casing: 'snake_case',
})
