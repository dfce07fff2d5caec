package mockprove

import (
	"fmt"
	"slices"
	"strings"
)

// Products a client (a Prove project's credentials) can be provisioned for,
// and that a persona can be a test user of.
const (
	ProductIdentity        = "identity"         // Prove Identity: start → validate → complete
	ProductPrefill         = "prefill"          // Pre-Fill: start → validate → challenge → complete
	ProductUnify           = "unify"            // Unified Authentication: /v3/unify*
	ProductVerify          = "verify"           // Verified Users: /v3/verify*
	ProductIdentityManager = "identity-manager" // Identity Manager: /v3/identity*
	ProductProveX          = "provex"           // ProveX: /v3/discover, /v3/fetch
)

// SuiteProducts are the products of Prove's current suite, which the
// built-in unify-client is provisioned for.
var SuiteProducts = []string{ProductUnify, ProductVerify, ProductIdentityManager, ProductProveX}

// flowProducts are the products a client's Product (the /v3/start flow) may be.
var flowProducts = []string{ProductIdentity, ProductPrefill}

// allProducts is every product a client may be granted.
var allProducts = append(slices.Clone(flowProducts), SuiteProducts...)

// checkClient refuses a client with no credentials or an unknown product.
func checkClient(c Client) error {
	if c.ID == "" || c.Secret == "" {
		return fmt.Errorf("mockprove: client %q: id and secret are required", c.ID)
	}
	if c.Product != "" && !slices.Contains(flowProducts, c.Product) {
		return fmt.Errorf("mockprove: client %q: product must be %q or %q, not %q", c.ID, ProductIdentity, ProductPrefill, c.Product)
	}
	for _, p := range c.Products {
		if !slices.Contains(allProducts, p) {
			return fmt.Errorf("mockprove: client %q: unknown product %q (products: %s)", c.ID, p, strings.Join(allProducts, ", "))
		}
	}
	if c.WebhookURL != "" {
		if err := checkWebhookURL(c.WebhookURL); err != nil {
			return fmt.Errorf("mockprove: client %q: %v", c.ID, err)
		}
		if c.WebhookSecret == "" {
			return fmt.Errorf("mockprove: client %q: a webhookUrl needs a webhookSecret to sign the events", c.ID)
		}
	}
	if c.Product == "" && len(c.Products) == 0 {
		return fmt.Errorf("mockprove: client %q: grant at least one product (%s)", c.ID, strings.Join(allProducts, ", "))
	}
	return nil
}

// Grants reports whether the client is provisioned for product.
func (c Client) Grants(product string) bool {
	return c.Product == product || slices.Contains(c.Products, product)
}

// requireProduct answers 8009 when the calling client is not provisioned for
// the product of the operation, as Prove does for credentials of another
// project.
func requireProduct(c *call, product, operation string) error {
	if c.client.Grants(product) {
		return nil
	}
	c.rule = "client.products"
	return errAccessDenied("access denied: client %s is not provisioned for %s (%s)", c.client.ID, productName(product), operation)
}

// productName is a product's name as Prove's pages write it.
func productName(p string) string {
	switch p {
	case ProductIdentity:
		return "Prove Identity"
	case ProductPrefill:
		return "Pre-Fill"
	case ProductUnify:
		return "Unified Authentication"
	case ProductVerify:
		return "Verified Users"
	case ProductIdentityManager:
		return "Identity Manager"
	case ProductProveX:
		return "ProveX"
	}
	return p
}
