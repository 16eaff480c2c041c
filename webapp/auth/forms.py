from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Regexp

from ..text_input import StorableText

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class SignupForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[
            StorableText(254),
            InputRequired("Enter your email address."),
            Length(max=254, message="That email address is too long."),
            Regexp(EMAIL_PATTERN, message="Enter an email address like name@example.com."),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            StorableText(200),
            InputRequired("Choose a password."),
            Length(min=10, max=200, message="Use between 10 and 200 characters."),
        ],
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[
            StorableText(200),
            InputRequired("Repeat your password."),
            EqualTo("password", message="The two passwords do not match."),
        ],
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[StorableText(254), InputRequired("Enter your email address.")])
    password = PasswordField("Password", validators=[StorableText(200), InputRequired("Enter your password.")])


class ApiTokenForm(FlaskForm):
    name = StringField(
        "Token name",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            StorableText(100),
            DataRequired("Name the token, for example after the CI job that uses it."),  # after the strip
            Length(max=100, message="Keep the name under 100 characters."),
        ],
    )
