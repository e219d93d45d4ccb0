// Package browser tests the live page of package httpjson in a real
// headless Chromium, driven through the DevTools protocol.
package browser
