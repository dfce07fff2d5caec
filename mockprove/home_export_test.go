package mockprove

// VersionOf exposes versionOf to the external tests.
var VersionOf = versionOf
