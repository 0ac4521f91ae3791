export {};
//# sourceMappingURL=record-db.test.d.ts.map