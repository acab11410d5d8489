module.exports = { ...require("../../jest.preset.js"), displayName: "users-db" };
