export {};
//# sourceMappingURL=replication.test.d.ts.map