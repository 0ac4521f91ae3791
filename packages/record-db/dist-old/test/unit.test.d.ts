export {};
//# sourceMappingURL=unit.test.d.ts.map