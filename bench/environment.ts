// What a bench run records about where it ran and how it was started.
import pg from "pg";

export async function postgresVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query<{ version: string }>("SELECT version()");
    return rows[0]!.version.split(",")[0]!;
  } catch {
    return "PostgreSQL (version unknown)";
  } finally {
    await client.end().catch(() => {});
  }
}

/** The command that reruns this bench: its BENCH_* settings (the note aside) and `npm run <script>`. */
export function commandLine(script: string): string {
  const names = Object.keys(process.env).filter((name) => name.startsWith("BENCH_") && name !== "BENCH_NOTE").sort();
  const assignments = names.map((name) => `${name}=${process.env[name]}`);
  return [...assignments, `npm run ${script}`].join(" ");
}
