export {};
//# sourceMappingURL=view-order.test.d.ts.map