/** What other packages use from the load tooling: synthetic DICOM instances and corpora. */
export { SyntheticSource, type OutgoingInstance } from './synthetic/in-memory.ts';
export { writeCorpus, type CorpusOptions, type ManifestEntry } from './synthetic/corpus.ts';
export { part10Header } from './synthetic/part10.ts';
