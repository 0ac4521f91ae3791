export {};
//# sourceMappingURL=pattern-worker.d.ts.map