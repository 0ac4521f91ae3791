export {};
//# sourceMappingURL=cli-sync.test.d.ts.map