import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Parsed documents, cached by their text, replacing yoga's parser cache. yoga's caches a document as
 * soon as it parses (and caches parse errors keyed by the text), so a document refused later by the
 * limits (aliases, depth, cost) or a huge one refused by the token limit stays in memory, and an
 * attacker can fill the cache with them. Here a document enters the cache only once it has passed
 * validation with every rule, and texts longer than `maxDocumentChars` are never kept.
 */
export function validatedDocumentCache({
  maxEntries = 1000,
  maxDocumentChars = 20_000,
}: {
  maxEntries?: number;
  maxDocumentChars?: number;
} = {}): Plugin {
  const documents = new Map<string, DocumentNode>();
  /** Freshly parsed documents and their text, until validation decides whether they are kept. */
  const candidates = new WeakMap<DocumentNode, string>();
  const validated = new WeakSet<DocumentNode>();

  const lookup = (source: string): DocumentNode | undefined => {
    const document = documents.get(source);
    if (document) {
      // Least recently used first: a hit moves the entry to the end.
      documents.delete(source);
      documents.set(source, document);
    }
    return document;
  };
  const remember = (source: string, document: DocumentNode) => {
    documents.set(source, document);
    if (documents.size > maxEntries) {
      const oldest = documents.keys().next().value;
      if (oldest !== undefined) documents.delete(oldest);
    }
  };

  return {
    onParse({ params, setParsedDocument }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      const cached = lookup(source);
      if (cached) {
        setParsedDocument(cached);
        return;
      }
      if (source.length > maxDocumentChars) return;
      return ({ result }) => {
        if (result && !(result instanceof Error)) candidates.set(result as DocumentNode, source);
      };
    },
    onValidate({ params: { documentAST }, setResult }) {
      if (validated.has(documentAST)) {
        setResult([]);
        return;
      }
      const source = candidates.get(documentAST);
      if (source === undefined) return;
      return ({ valid }) => {
        if (!valid) return;
        validated.add(documentAST);
        remember(source, documentAST);
      };
    },
  };
}
