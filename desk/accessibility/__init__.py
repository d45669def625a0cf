"""The accessibility statement (déclaration d'accessibilité) required of French public bodies:
its content is data the admins edit, seeded from the reference file."""
