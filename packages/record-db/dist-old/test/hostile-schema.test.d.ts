export {};
//# sourceMappingURL=hostile-schema.test.d.ts.map