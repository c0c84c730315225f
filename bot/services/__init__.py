"""Domain logic. Imports neither aiogram nor handlers, so another messenger can be a second front."""
