module.exports = { ...require("../../jest.preset.js"), displayName: "flight-model" };
