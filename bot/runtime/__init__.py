"""What runs every feature and knows none: app, middlewares, outbox, cards, scheduler, leader,
ballot box, FSM storage, request middlewares, after-commit work, clock, update context."""
