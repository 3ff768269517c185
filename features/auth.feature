@auth
Feature: Only the platform can post to our webhook
  The platform sends the dashboard's secret whole as the Authorization header.
  Anything else must be refused with 401.

  Scenario: An event without credentials is refused
    Given the call "job-interview"
    And the platform sends no credentials
    When the platform delivers the "call.started" event
    Then the answer status is 401
    And the answer has "error" equal to "Unauthorized"
    And every answer matches the contract

  Scenario: An event with the wrong token is refused
    Given the call "job-interview"
    And the platform sends a wrong Bearer token
    When the platform delivers the "call.ended" event
    Then the answer status is 401

  Scenario: The auth checks of the catalog pass
    Given the call "job-interview"
    Then the "auth.missing" check passes
    And the "auth.wrong" check passes
