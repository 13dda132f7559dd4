def recipe_script(): pass
