# crypto.x509.parse_and_verify_certificates checks validity against the
# clock: the same facts and bundle would change verdict when a certificate
# expires. The sandbox refuses it.
package modern_work

certificate_valid if {
	[valid, _] := crypto.x509.parse_and_verify_certificates(data.modern_work.certificate)
	valid
}
