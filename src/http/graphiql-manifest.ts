import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where `npm run generate` puts GraphiQL's browser files (scripts/extract-graphiql-assets.ts). */
export const GRAPHIQL_ASSETS_DIR = fileURLToPath(new URL('../generated/graphiql/', import.meta.url));

/** The names of GraphiQL's files, each carrying a hash of its content. */
export type GraphiQLManifest = {
  renderGraphiqlVersion: string;
  script: string;
  stylesheet: string;
  favicon: string;
  /** Monaco's editor workers, by the label Monaco asks for. */
  workers: { editorWorkerService: string; json: string; graphql: string };
};

/** The manifest, or null when the files were never extracted. */
export function readGraphiQLManifest(): GraphiQLManifest | null {
  try {
    return JSON.parse(readFileSync(`${GRAPHIQL_ASSETS_DIR}manifest.json`, 'utf8')) as GraphiQLManifest;
  } catch {
    return null;
  }
}
