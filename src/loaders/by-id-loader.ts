// The shape every by-id loader shares: one statement for all ids asked in a tick,
// results mapped back by key in order, null where the tenant has no such row.
import DataLoader from "dataloader";

export type LoaderOptions = {
  /** false turns batching off: one statement per key (the N+1 baseline the benchmark measures). */
  batch: boolean;
};

export function createByIdLoader<Row extends { id: string }>(
  fetchRows: (ids: string[]) => Promise<Row[]>,
  options: LoaderOptions,
): DataLoader<string, Row | null> {
  return new DataLoader<string, Row | null>(
    async (ids) => {
      const rows = await fetchRows([...ids]);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { batch: options.batch },
  );
}
