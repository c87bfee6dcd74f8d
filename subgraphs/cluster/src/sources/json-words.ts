// Moved to lib (the audit record parser there uses it too).
export * from '@vigil/lib/json-words';
