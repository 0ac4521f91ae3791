export {};
//# sourceMappingURL=measure.d.ts.map